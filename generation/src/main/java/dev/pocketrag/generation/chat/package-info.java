/** Chat prompt formats of the common model families, recognised from a GGUF's chat template. */
package dev.pocketrag.generation.chat;
