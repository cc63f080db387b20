/**
 * Decides where and how TensorFlow executes: devices, threads, XLA and mixed precision. Its code arrives with the
 * runtime-gpu issue.
 */
package io.mmfuse.runtime;
