// Package storetest gives tests of the store and of what is built on it
// a PostgreSQL database of their own. Test code only: it is imported by
// tests, never by production code, and imports no ivrd package.
package storetest
