package io.mmfuse.runtime;

import java.util.List;

/** Lists the devices TensorFlow sees. TF Java 1.1.0 has no public API for it; see {@link CApiDeviceLister}. */
public interface DeviceLister {
  List<DeviceInfo> devices();
}
