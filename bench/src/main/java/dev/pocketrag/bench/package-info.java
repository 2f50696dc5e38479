/**
 * Benchmarks against peers, run by {@code bench/run NAME}; never shipped.
 */
package dev.pocketrag.bench;
