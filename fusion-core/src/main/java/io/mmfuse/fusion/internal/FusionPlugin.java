package io.mmfuse.fusion.internal;

import com.google.inject.Module;
import io.mmfuse.api.plugin.ModalityPlugin;
import io.mmfuse.fusion.graph.FusionStrategies;

/** fusion-core's own plugin: declares the set of fusion strategies that other plugins add to. */
public final class FusionPlugin implements ModalityPlugin {
  @Override
  public Module module() {
    return FusionStrategies::bind;
  }
}
