// The lifecycle every listener-owning piece of the gateway shares.

export interface Part {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}
