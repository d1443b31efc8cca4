// The interface every part reports suspicious events through; fraud detection (issue 3) implements it.

/** Report one suspicious event for a client IP. Must not throw and must be cheap: it is called inline. */
export type Suspicious = (ip: string, reason: string) => void;
