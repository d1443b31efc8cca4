// What a socket received, in order, and waiting for the next item that matches (with a timeout).

interface Waiter<T> {
  readonly match: (item: T) => boolean;
  readonly resolve: (item: T) => void;
}

export class Inbox<T> {
  /** Received and not taken yet, oldest first. */
  readonly items: T[] = [];
  private readonly waiters: Waiter<T>[] = [];

  push(item: T): void {
    const index = this.waiters.findIndex((waiter) => waiter.match(item));
    const waiter = this.waiters[index];
    if (waiter === undefined) {
      this.items.push(item);
      return;
    }
    this.waiters.splice(index, 1);
    waiter.resolve(item);
  }

  /** Takes the oldest item that matches, waiting up to `timeoutMs` for one to arrive. */
  next(match: (item: T) => boolean = () => true, timeoutMs = 5000): Promise<T> {
    const index = this.items.findIndex(match);
    const found = this.items[index];
    if (found !== undefined) {
      this.items.splice(index, 1);
      return Promise.resolve(found);
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter<T> = {
        match,
        resolve: (item) => {
          clearTimeout(timer);
          resolve(item);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`nothing matching arrived within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
}
