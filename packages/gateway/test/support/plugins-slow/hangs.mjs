// A module whose top-level await never settles: its import would never finish.
await new Promise(() => {});
export default { type: 'request-modifier', name: 'never', create: () => (req) => req };
