/**
 * Fuses token sequences into one sequence and runs the shared Transformer built with TensorFlow Java. The graph
 * builder, training, checkpoint import and prediction arrive with the fusion-core issues.
 */
package io.mmfuse.fusion;
