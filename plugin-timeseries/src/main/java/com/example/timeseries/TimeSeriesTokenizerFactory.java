package com.example.timeseries;

import com.example.timeseries.proto.TimeSeriesSettings;
import com.example.timeseries.proto.TimeSeriesState;
import io.mmfuse.api.ColumnSample;
import io.mmfuse.api.InvalidConfigurationException;
import io.mmfuse.api.ModalityTokenizer;
import io.mmfuse.api.Settings;
import io.mmfuse.api.TokenizerContext;
import io.mmfuse.api.TokenizerFactory;
import io.mmfuse.api.proto.InputSpec;
import java.nio.file.Path;
import java.util.List;

/**
 * Step 2: the factory claims the modality name {@code timeseries}, builds tokenizers from an input's typed settings
 * ({@code settings { [mmfuse/example.timeseries.TimeSeriesSettings] { window: 3 } }}), fits their state on the
 * training rows, and claims data columns of numeric series.
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
    TimeSeriesSettings s = settings(context.spec());
    if (s.getStandardize() && !s.hasState()) {
      throw new InvalidConfigurationException("input '" + context.spec().getName() + "': standardize needs the"
          + " fitted state; train the model first");
    }
    return new TimeSeriesTokenizer(s.getWindow() > 0 ? s.getWindow() : 4, s.getMaxTokens() > 0 ? s.getMaxTokens()
        : 64, s.getStandardize() ? s.getState() : null);
  }

  /** Fits the mean and standard deviation of every training reading, kept in the saved settings. */
  @Override
  public Fitted fit(TokenizerContext context, List<?> rows, Path bundle) {
    TimeSeriesSettings s = settings(context.spec());
    if (!s.getStandardize()) {
      return new Fitted(create(context), context.spec());
    }
    TimeSeriesTokenizer raw = new TimeSeriesTokenizer(1, Integer.MAX_VALUE, null);
    double sum = 0;
    double squares = 0;
    long n = 0;
    for (Object row : rows) {
      if (row != null) {
        for (float v : raw.readings(row.toString())) {
          sum += v;
          squares += (double) v * v;
          n++;
        }
      }
    }
    double mean = n == 0 ? 0 : sum / n;
    double std = n < 2 ? 1 : Math.sqrt(Math.max(squares / n - mean * mean, 0));
    TimeSeriesState state = TimeSeriesState.newBuilder().setMean(mean).setStd(std > 0 ? std : 1).setReadings(n)
        .build();
    InputSpec saved = Settings.with(context.spec(), s.toBuilder().setState(state).build());
    return new Fitted(create(new TokenizerContext(saved, bundle)), saved);
  }

  /** 0.8 for a column whose cells are series of four or more numbers (at least 90% of them); else 0. */
  @Override
  public double claim(ColumnSample column) {
    double share = column.share(v -> {
      String[] parts = v.split("[\\s;]+");
      if (parts.length < 4) {
        return false;
      }
      for (String p : parts) {
        try {
          Float.parseFloat(p);
        } catch (NumberFormatException e) {
          return false;
        }
      }
      return true;
    });
    return !column.values().isEmpty() && share >= 0.9 ? 0.8 : 0;
  }

  private static TimeSeriesSettings settings(InputSpec spec) {
    TimeSeriesSettings s = Settings.of(spec, TimeSeriesSettings.class);
    if (s.getWindow() < 0 || s.getMaxTokens() < 0) {
      throw new InvalidConfigurationException("input '" + spec.getName() + "': window and max_tokens must be"
          + " positive, found " + s.getWindow() + " and " + s.getMaxTokens());
    }
    return s;
  }
}
