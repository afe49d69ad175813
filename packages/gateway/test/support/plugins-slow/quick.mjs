// A module that loads at once, beside one that never does.
export default { type: 'request-modifier', name: 'quick', create: () => (req) => req };
