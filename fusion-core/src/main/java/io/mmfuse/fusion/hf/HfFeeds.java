package io.mmfuse.fusion.hf;

import io.mmfuse.api.InvalidInputException;
import io.mmfuse.api.safetensors.SafeTensors;
import io.mmfuse.api.safetensors.TensorInfo;
import io.mmfuse.fusion.graph.InputConfig;
import io.mmfuse.fusion.internal.GridPositions;
import io.mmfuse.fusion.session.InputFeed;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Turns tensors under their Hugging Face names ({@code input_ids}, {@code attention_mask}, {@code token_type_ids},
 * {@code pixel_values}, {@code pixel_mask}) into the feeds of an imported model. Image patches are cut here, as the
 * model's patch tokens: a patch is kept when the pixel mask is set at its top-left pixel (how ViLT reduces its mask
 * to the patch grid), in row-major order.
 */
public final class HfFeeds {
  private HfFeeds() {}

  /** Builds the feeds of every input the imported model has, from a safetensors file of HF-named tensors. */
  public static Map<String, InputFeed> fromSafetensors(HfCheckpoints.Imported model, SafeTensors in) {
    Map<String, InputFeed> feeds = new LinkedHashMap<>();
    for (InputConfig c : model.config().inputs()) {
      if (c.name().equals(HfCheckpoints.TEXT)) {
        TensorInfo ids = require(in, "input_ids", 2);
        int b = (int) ids.shape()[0];
        int t = (int) ids.shape()[1];
        long[] mask = optional(in, "attention_mask", ids.shape());
        long[] types = optional(in, "token_type_ids", ids.shape());
        feeds.put(c.name(), text(in.longs("input_ids"), mask, types, b, t));
      } else {
        TensorInfo px = require(in, "pixel_values", 4);
        long[] s = px.shape();
        if (s[1] != 3) {
          throw new InvalidInputException("tensor pixel_values: expected [B, 3, H, W], found " + px.shapeText());
        }
        long[] mask = optional(in, "pixel_mask", new long[] {s[0], s[2], s[3]});
        feeds.put(c.name(), image(in.floats("pixel_values"), mask, (int) s[0], (int) s[2], (int) s[3],
            model.patchSize(), c.gridRows(), c.gridColumns()));
      }
    }
    return feeds;
  }

  private static TensorInfo require(SafeTensors in, String name, int rank) {
    TensorInfo t = in.find(name).orElseThrow(() -> new InvalidInputException(
        "inputs " + in.source() + ": tensor " + name + " is missing; the model needs it"));
    if (t.shape().length != rank) {
      throw new InvalidInputException("tensor " + name + ": expected " + rank + " dimensions, found " + t.shapeText());
    }
    if (name.equals("pixel_values") ? !t.dtype().isFloating() : t.dtype().isFloating()) {
      throw new InvalidInputException("tensor " + name + ": dtype " + t.dtype() + " is not "
          + (name.equals("pixel_values") ? "a floating-point type" : "an integer type"));
    }
    return t;
  }

  private static long[] optional(SafeTensors in, String name, long[] shape) {
    var t = in.find(name);
    if (t.isEmpty()) {
      return null;
    }
    if (!Arrays.equals(t.get().shape(), shape)) {
      throw new InvalidInputException("tensor " + name + ": expected shape " + Arrays.toString(shape) + ", found "
          + t.get().shapeText());
    }
    if (t.get().dtype().isFloating()) {
      throw new InvalidInputException("tensor " + name + ": dtype " + t.get().dtype() + " is not an integer type");
    }
    return in.longs(name);
  }

  /** Text feeds: ids, mask (ones when null), segments (zeros when null), positions 0..T-1. */
  public static InputFeed text(long[] ids, long[] mask, long[] types, int b, int t) {
    int[] id = new int[b * t];
    float[] m = new float[b * t];
    int[] seg = new int[b * t];
    int[] pos = new int[b * t];
    for (int i = 0; i < b * t; i++) {
      if (ids[i] < 0 || ids[i] > Integer.MAX_VALUE) {
        throw new InvalidInputException("tensor input_ids: id " + ids[i] + " at [" + i / t + ", " + i % t
            + "] is not a valid id");
      }
      id[i] = (int) ids[i];
      m[i] = mask == null ? 1f : mask[i];
      seg[i] = types == null ? 0 : (int) types[i];
      pos[i] = i % t;
    }
    return new InputFeed(b, t, id, null, null, 0, pos, null, null, seg, m);
  }

  /** Image feeds: the patches of {@code [B,3,H,W]} pixel values that the pixel mask keeps, padded to the longest. */
  public static InputFeed image(float[] pixels, long[] pixelMask, int b, int h, int w, int p, int rows, int cols) {
    int gr = h / p;
    int gc = w / p;
    if (gr == 0 || gc == 0) {
      throw new InvalidInputException("tensor pixel_values: a " + h + "x" + w + " image has no whole " + p + "x" + p
          + " patch");
    }
    boolean[][] keep = new boolean[b][gr * gc];
    int[] validRows = new int[b];
    int[] validCols = new int[b];
    int longest = 0;
    for (int n = 0; n < b; n++) {
      int count = 0;
      for (int r = 0; r < gr; r++) {
        for (int c = 0; c < gc; c++) {
          boolean k = pixelMask == null || pixelMask[(n * h + r * p) * w + c * p] != 0;
          keep[n][r * gc + c] = k;
          count += k ? 1 : 0;
        }
      }
      for (int r = 0; r < gr; r++) {
        validRows[n] += keep[n][r * gc] ? 1 : 0;
      }
      for (int c = 0; c < gc; c++) {
        validCols[n] += keep[n][c] ? 1 : 0;
      }
      longest = Math.max(longest, count);
    }
    int width = 3 * p * p;
    float[] features = new float[b * longest * width];
    int[] index = new int[b * longest * 4];
    float[] weight = new float[b * longest * 4];
    float[] mask = new float[b * longest];
    for (int n = 0; n < b; n++) {
      int t = 0;
      for (int r = 0; r < gr; r++) {
        for (int c = 0; c < gc; c++) {
          if (!keep[n][r * gc + c]) {
            continue;
          }
          int o = (n * longest + t) * width;
          for (int ch = 0; ch < 3; ch++) {
            for (int y = 0; y < p; y++) {
              System.arraycopy(pixels, ((n * 3 + ch) * h + r * p + y) * w + c * p, features, o, p);
              o += p;
            }
          }
          GridPositions.write(r, c, validRows[n], validCols[n], rows, cols, index, weight, (n * longest + t) * 4);
          mask[n * longest + t] = 1f;
          t++;
        }
      }
    }
    return new InputFeed(b, longest, null, null, features, width, null, index, weight, null, mask);
  }
}
