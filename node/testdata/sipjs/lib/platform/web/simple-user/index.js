/**
 * A simple SIP user implementation for web browsers.
 * @packageDocumentation
 */
export * from "./simple-user.js";
export * from "./simple-user-delegate.js";
export * from "./simple-user-options.js";
