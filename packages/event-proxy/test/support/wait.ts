// One copy of the test waits, in the Kafka package's test support (which the event proxy's tests already use).
export { failureOf, until } from '../../../kafka/test/support/wait.js';
