// gelf-pro ships without types: the client object and the adapters it sends through, as used here.
declare module 'gelf-pro' {
  interface GelfAdapter {
    setOptions(options: Record<string, unknown>): GelfAdapter;
    send(message: string, cb: (err: Error | null, bytes?: number) => void): GelfAdapter;
    /** The TCP adapter's socket for one message (protected in gelf-pro, replaceable). */
    _instance?(options: import('node:net').NetConnectOpts): import('node:net').Socket;
  }
  interface Gelf {
    adapter: GelfAdapter | undefined;
    setConfig(config: Record<string, unknown>): Gelf;
    message(
      message: string,
      level: number,
      extra: Record<string, unknown>,
      cb: (err: Error | null, bytes?: number) => void,
    ): void;
  }
  const gelf: Gelf;
  export default gelf;
}

declare module 'gelf-pro/lib/adapter/udp.js' {
  const adapter: import('gelf-pro').default['adapter'] & object;
  export default adapter;
}

declare module 'gelf-pro/lib/adapter/tcp.js' {
  const adapter: import('gelf-pro').default['adapter'] & object;
  export default adapter;
}
