/**
 * Notes in, cited answers out: the public facade is {@code Notebook}.
 */
package dev.pocketrag.retrieval;
