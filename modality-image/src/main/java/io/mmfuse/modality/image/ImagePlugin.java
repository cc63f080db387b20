package io.mmfuse.modality.image;

import com.google.inject.Module;
import io.mmfuse.api.plugin.ModalityPlugin;

/** Registers the image modality through the same SPI a third-party plugin uses. */
public final class ImagePlugin implements ModalityPlugin {
  @Override
  public Module module() {
    return binder -> ModalityPlugin.tokenizerFactories(binder).addBinding().to(ImageTokenizerFactory.class);
  }

  /** The settings message of this modality's inputs, readable in specs. */
  @Override
  public java.util.List<com.google.protobuf.Descriptors.Descriptor> messageTypes() {
    return java.util.List.of(io.mmfuse.modality.image.proto.ImageSettings.getDescriptor());
  }
}
