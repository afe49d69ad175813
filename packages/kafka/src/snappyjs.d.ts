// snappyjs ships without types: raw Snappy block compression, returning the input's type (Buffer in, Buffer out).
declare module 'snappyjs' {
  export function compress(data: Buffer): Buffer;
  export function uncompress(data: Buffer): Buffer;
}
