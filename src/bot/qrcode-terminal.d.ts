declare module 'qrcode-terminal' {
  interface Options {
    small?: boolean;
  }
  const qrcode: {
    generate(text: string, opts?: Options, callback?: (qr: string) => void): void;
    setErrorLevel(level: 'L' | 'M' | 'Q' | 'H'): void;
  };
  export default qrcode;
}
