export { startServiceBusEmulator } from './emulator';
export type { DeadLetteredMessage, QueueCounts, QueueOptions, ServiceBusEmulator } from './emulator';
