package io.mmfuse.fusion.graph;

import com.google.inject.Binder;
import com.google.inject.Inject;
import com.google.inject.Singleton;
import com.google.inject.multibindings.Multibinder;
import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.plugin.ModalityRegistry;
import io.mmfuse.api.plugin.PluginConflictException;
import io.mmfuse.api.proto.PositionLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The fusion strategies known to this process, by name: the built-in {@code concat} and {@code add}, and those that
 * plugins bind in their Guice modules with {@link #bind(Binder)}. A name claimed twice is refused.
 */
@Singleton
public final class FusionStrategies {
  private static final FusionStrategies BUILT_IN = new FusionStrategies(Set.of());
  /** What fusion-core ships: the built-ins and its own plugin's. */
  private static final FusionStrategies SHIPPED = new FusionStrategies(Set.of(new LateFusion()));

  private final Map<String, FusionStrategy> byName;

  /** The built-in strategies plus {@code plugged}. */
  @Inject
  public FusionStrategies(Set<FusionStrategy> plugged) {
    Map<String, FusionStrategy> all = new TreeMap<>();
    all.put("concat", new Concat());
    all.put("add", new Add());
    for (FusionStrategy s : plugged) {
      FusionStrategy earlier = all.putIfAbsent(s.name(), s);
      if (earlier != null) {
        throw new PluginConflictException("fusion strategy '" + s.name() + "' is claimed twice: by "
            + earlier.getClass().getName() + " (from " + ModalityRegistry.origin(earlier.getClass()) + ") and "
            + s.getClass().getName() + " (from " + ModalityRegistry.origin(s.getClass()) + ")");
      }
    }
    this.byName = Collections.unmodifiableMap(all);
  }

  /** The set a plugin's Guice module adds its strategies to: {@code bind(binder).addBinding().to(Mine.class)}. */
  public static Multibinder<FusionStrategy> bind(Binder binder) {
    return Multibinder.newSetBinder(binder, FusionStrategy.class);
  }

  /** The built-in strategies only. */
  public static FusionStrategies builtIn() {
    return BUILT_IN;
  }

  /**
   * The strategies of the plugins a registry was wired from; for a registry built by hand, the ones fusion-core
   * ships (the built-ins and {@code late}, which its own plugin adds).
   */
  public static FusionStrategies of(ModalityRegistry registry) {
    return registry.extension(FusionStrategies.class).orElse(SHIPPED);
  }

  /** A built-in strategy by name. */
  public static FusionStrategy named(String name) {
    return BUILT_IN.get(name);
  }

  /** The strategy of that name, or an error naming those that exist. */
  public FusionStrategy get(String name) {
    FusionStrategy s = byName.get(name);
    if (s == null) {
      throw new InvalidConfigurationException(
          "fusion strategy '" + name + "' is not known; known: " + String.join(", ", byName.keySet()));
    }
    return s;
  }

  /** The known names, sorted. */
  public Set<String> names() {
    return byName.keySet();
  }

  /** One sequence: the global CLS (if any), then every input's tokens one after another; masks concatenated. */
  public static final class Concat implements FusionStrategy {
    @Override
    public String name() {
      return "concat";
    }

    @Override
    public void validate(FusionConfig config) {}

    @Override
    public Fused fuse(Ops tf, List<Embedded> inputs, Operand<TFloat32> globalCls) {
      List<Operand<TFloat32>> parts = new ArrayList<>();
      List<Operand<TFloat32>> masks = new ArrayList<>();
      if (globalCls != null) {
        parts.add(globalCls);
        // A mask of ones [B, 1], shaped after the first input's mask.
        masks.add(tf.onesLike(tf.slice(inputs.get(0).mask(), tf.constant(new int[] {0, 0}),
            tf.constant(new int[] {-1, 1}))));
      }
      for (Embedded e : inputs) {
        parts.add(e.embeddings());
        masks.add(e.mask());
      }
      if (parts.size() == 1) {
        return new Fused(parts.get(0), masks.get(0));
      }
      return new Fused(tf.concat(parts, tf.constant(1)), tf.concat(masks, tf.constant(1)));
    }
  }

  /**
   * Aligned inputs of equal length and layout summed token by token; the mask is the first input's.
   */
  public static final class Add implements FusionStrategy {
    @Override
    public String name() {
      return "add";
    }

    @Override
    public void validate(FusionConfig config) {
      InputConfig first = config.inputs().get(0);
      for (InputConfig in : config.inputs()) {
        if (in.layout() != first.layout() || in.maxPositions() != first.maxPositions() || in.cls() != first.cls()
            || (in.layout() == PositionLayout.GRID
                && (in.gridRows() != first.gridRows() || in.gridColumns() != first.gridColumns()))) {
          throw new InvalidConfigurationException(
              "fusion 'add' needs inputs of one length and layout: '" + first.name() + "' is " + describe(first)
                  + " but '" + in.name() + "' is " + describe(in));
        }
      }
    }

    private static String describe(InputConfig in) {
      return in.layout() + (in.layout() == PositionLayout.GRID ? " " + in.gridRows() + "x" + in.gridColumns() : "")
          + " of " + in.maxPositions() + " positions" + (in.cls() ? " with CLS" : "");
    }

    @Override
    public void validateLengths(Map<String, Integer> lengths) {
      String first = null;
      for (Map.Entry<String, Integer> e : lengths.entrySet()) {
        if (first == null) {
          first = e.getKey();
        } else if (!e.getValue().equals(lengths.get(first))) {
          throw new InvalidInputException("fusion 'add' sums inputs token by token, but '" + e.getKey() + "' has "
              + e.getValue() + " tokens and '" + first + "' " + lengths.get(first));
        }
      }
    }

    @Override
    public Fused fuse(Ops tf, List<Embedded> inputs, Operand<TFloat32> globalCls) {
      Operand<TFloat32> sum = inputs.get(0).embeddings();
      for (int i = 1; i < inputs.size(); i++) {
        sum = tf.math.add(sum, inputs.get(i).embeddings());
      }
      Operand<TFloat32> mask = inputs.get(0).mask();
      if (globalCls != null) {
        Operand<TFloat32> ones = tf.onesLike(tf.slice(mask, tf.constant(new int[] {0, 0}),
            tf.constant(new int[] {-1, 1})));
        return new Fused(tf.concat(List.of(globalCls, sum), tf.constant(1)), tf.concat(List.of(ones, mask),
            tf.constant(1)));
      }
      return new Fused(sum, mask);
    }
  }
}
