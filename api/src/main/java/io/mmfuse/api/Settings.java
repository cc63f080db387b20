package io.mmfuse.api;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.mmfuse.api.proto.InputSpec;

/**
 * An input's modality settings: a protobuf message that the modality's plugin defines, carried in
 * {@code InputSpec.settings} as a {@code google.protobuf.Any}. In a spec's text format they read
 * {@code settings { [mmfuse/mmfuse.text.TextSettings] { tokenizer_file: "vocab.txt" } }}; the plugin lists its
 * message types in {@link io.mmfuse.api.plugin.ModalityPlugin#messageTypes()} so that the text format can be read.
 */
public final class Settings {
  private Settings() {}

  /** The type URL prefix mmfuse writes: {@code mmfuse/<full message name>}. */
  public static final String TYPE_URL_PREFIX = "mmfuse";

  /**
   * The input's settings as {@code type}: its default instance when the spec gives none; an error naming the input
   * when they are of another type or do not parse.
   */
  public static <T extends Message> T of(InputSpec spec, Class<T> type) {
    T defaults = com.google.protobuf.Internal.getDefaultInstance(type);
    if (!spec.hasSettings()) {
      return defaults;
    }
    Any any = spec.getSettings();
    String expected = defaults.getDescriptorForType().getFullName();
    String found = any.getTypeUrl().substring(any.getTypeUrl().lastIndexOf('/') + 1);
    if (!found.equals(expected)) {
      throw new InvalidConfigurationException("input '" + spec.getName() + "': settings of type " + found
          + "; modality '" + spec.getModality() + "' expects " + expected);
    }
    try {
      return any.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      throw new InvalidConfigurationException("input '" + spec.getName() + "': settings " + expected
          + " cannot be read: " + e.getMessage(), e);
    }
  }

  /** The input's spec with these settings. */
  public static InputSpec with(InputSpec spec, Message settings) {
    return spec.toBuilder().setSettings(Any.pack(settings, TYPE_URL_PREFIX)).build();
  }
}
