package io.mmfuse.runtime;

import io.mmfuse.api.InvalidConfigurationException;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.internal.c_api.TF_DeviceList;
import org.tensorflow.internal.c_api.TF_Session;
import org.tensorflow.internal.c_api.TF_Status;
import org.tensorflow.internal.c_api.global.tensorflow;

/**
 * Lists devices through TensorFlow's C API ({@code TF_SessionListDevices}) with the native handle of a throwaway
 * session, which TF Java keeps in a private field.
 */
public final class CApiDeviceLister implements DeviceLister {
  private final org.tensorflow.proto.ConfigProto config;

  public CApiDeviceLister(org.tensorflow.proto.ConfigProto config) {
    this.config = config;
  }

  @Override
  public List<DeviceInfo> devices() {
    try (Graph g = new Graph(); Session s = config == null ? new Session(g) : new Session(g, config)) {
      Field f = Session.class.getDeclaredField("nativeHandle");
      f.setAccessible(true);
      TF_Session handle = (TF_Session) f.get(s);
      TF_Status status = tensorflow.TF_NewStatus();
      TF_DeviceList list = null;
      try {
        list = tensorflow.TF_SessionListDevices(handle, status);
        check(status);
        List<DeviceInfo> out = new ArrayList<>();
        int n = tensorflow.TF_DeviceListCount(list);
        for (int i = 0; i < n; i++) {
          String name = tensorflow.TF_DeviceListName(list, i, status).getString();
          check(status);
          String type = tensorflow.TF_DeviceListType(list, i, status).getString();
          check(status);
          long memory = tensorflow.TF_DeviceListMemoryBytes(list, i, status);
          check(status);
          out.add(new DeviceInfo(name, type, memory));
        }
        return out;
      } finally {
        if (list != null) {
          tensorflow.TF_DeleteDeviceList(list);
        }
        tensorflow.TF_DeleteStatus(status);
      }
    } catch (ReflectiveOperationException e) {
      throw new InvalidConfigurationException(
          "cannot list TensorFlow devices: this TF Java version keeps no session handle where expected: " + e, e);
    }
  }

  private static void check(TF_Status status) {
    if (tensorflow.TF_GetCode(status) != 0) {
      throw new InvalidConfigurationException("TensorFlow could not list devices: "
          + tensorflow.TF_Message(status).getString());
    }
  }
}
