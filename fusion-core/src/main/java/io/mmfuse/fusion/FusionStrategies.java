package io.mmfuse.fusion;

import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.PositionLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/** The built-in fusion strategies and the lookup of plugged-in ones. */
public final class FusionStrategies {
  private FusionStrategies() {}

  /** Returns the strategy of that name: built in, or found with ServiceLoader. */
  public static FusionStrategy get(String name) {
    Map<String, FusionStrategy> all = new TreeMap<>();
    all.put("concat", new Concat());
    all.put("add", new Add());
    for (FusionStrategy s : ServiceLoader.load(FusionStrategy.class, FusionStrategies.class.getClassLoader())) {
      all.putIfAbsent(s.name(), s);
    }
    FusionStrategy s = all.get(name);
    if (s == null) {
      throw new InvalidConfigurationException(
          "fusion strategy '" + name + "' is not known; known: " + String.join(", ", all.keySet()));
    }
    return s;
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
   * Aligned inputs of equal length and layout summed token by token (the batch builder checks that the lengths
   * agree); the mask is the first input's.
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
