package com.example.timeseries;

import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.ModalityTokenizer;
import io.mmfuse.api.TokenizerContext;
import io.mmfuse.api.TokenizerFactory;
import java.util.Map;

/**
 * Step 2: the factory claims the modality name {@code timeseries} and builds tokenizers from an input's spec. Its
 * settings come from the spec's free-form options: {@code window} (readings per token, default 4) and
 * {@code max_tokens} (default 64).
 */
public final class TimeSeriesTokenizerFactory implements TokenizerFactory {
  @Override
  public String modality() {
    return TimeSeriesTokenizer.MODALITY;
  }

  @Override
  public Class<?> tokenizerType() {
    return TimeSeriesTokenizer.class;
  }

  @Override
  public ModalityTokenizer<?> create(TokenizerContext context) {
    Map<String, String> options = context.spec().getOptionsMap();
    return new TimeSeriesTokenizer(
        positive(options, "window", 4, context), positive(options, "max_tokens", 64, context));
  }

  private static int positive(Map<String, String> options, String key, int dflt, TokenizerContext context) {
    String v = options.get(key);
    if (v == null) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(v.trim());
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new InvalidConfigurationException("input '" + context.spec().getName() + "': option " + key
        + " must be a positive integer, found '" + v + "'");
  }
}
