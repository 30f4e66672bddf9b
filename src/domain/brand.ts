/** A nominal type: a validated value that plain strings cannot be passed as by accident. */
export type Brand<T, B extends string> = T & { readonly __brand: B };
