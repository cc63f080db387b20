package io.mmfuse.fusion.internal;

import com.google.inject.Module;
import io.mmfuse.api.plugin.ModalityPlugin;
import io.mmfuse.fusion.graph.FusionStrategies;
import io.mmfuse.fusion.graph.LateFusion;

/**
 * fusion-core's own plugin: declares the set of fusion strategies that other plugins add to, and adds {@code late}
 * ({@link LateFusion}) to it as any plugin would.
 */
public final class FusionPlugin implements ModalityPlugin {
  @Override
  public Module module() {
    return binder -> FusionStrategies.bind(binder).addBinding().to(LateFusion.class);
  }
}
