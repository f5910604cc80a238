// Time is an input. Every "now" in the domain comes from a Clock: the system clock in production,
// one frozen at the request's arrival for the length of a request, a clock the tests set.

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock stopped at one instant: a request's "now", so that every rule of one request agrees. */
export function frozenClock(at: Date | number): Clock {
  const ms = typeof at === "number" ? at : at.getTime();
  return { now: () => new Date(ms) };
}
