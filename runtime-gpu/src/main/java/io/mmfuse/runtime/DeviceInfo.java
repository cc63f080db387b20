package io.mmfuse.runtime;

/**
 * One device TensorFlow sees.
 *
 * @param name the full device name, such as {@code /job:localhost/replica:0/task:0/device:CPU:0}
 * @param type {@code CPU} or {@code GPU}
 * @param memoryBytes the memory TensorFlow reports for it
 */
public record DeviceInfo(String name, String type, long memoryBytes) {}
