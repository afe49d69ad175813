// An event worker consumer that takes events only as far as the test says (ctl[0], in a SharedArrayBuffer
// shared through the consumer's data), and counts the events its hub built and let go before they were
// taken (ctl[1]); ctl[2] is the hub's next sequence number.
export async function attachEventConsumer({ hub, data }) {
  const ctl = new Int32Array(data.sab);
  /** Sequence numbers of built events not taken yet, oldest first. */
  let built = [];
  hub.subscribe(() => built.push(hub.nextSeq - 1));
  const check = () => {
    const taken = Atomics.load(ctl, 0);
    built = built.filter((seq) => seq >= taken);
    const gone = built.filter((seq) => hub.entry(seq) === undefined).length;
    if (gone > 0) Atomics.add(ctl, 1, gone);
    built = built.filter((seq) => hub.entry(seq) !== undefined);
    Atomics.store(ctl, 2, hub.nextSeq);
  };
  setInterval(check, 20).unref();
  return {
    taken() {
      check();
      return Atomics.load(ctl, 0);
    },
    async flush() {},
    async close() {},
  };
}
