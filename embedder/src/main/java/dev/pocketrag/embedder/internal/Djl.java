package dev.pocketrag.embedder.internal;

/**
 * Puts DJL in offline mode and opts out of its telemetry before any DJL class is loaded. DJL's
 * {@code Ec2Utils.callHome} (run when an engine or a tokenizer is first created) returns early
 * when {@code ai.djl.offline} or {@code OPT_OUT_TRACKING} is true; offline mode also stops any
 * native-library or model download. Both are forced on: pocketrag never goes online.
 */
final class Djl {
    private Djl() {}

    static void offline() {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        // We run on the CPU. On machines with a CUDA runtime but no usable GPU, DJL's GPU probes
        // log warnings on every start; quiet them when slf4j-simple is the backend, unless the
        // user configured those loggers.
        quiet("ai.djl.util.cuda.CudaUtils");
        quiet("ai.djl.onnxruntime.engine.OrtEngine");
    }

    private static void quiet(String logger) {
        String key = "org.slf4j.simpleLogger.log." + logger;
        if (System.getProperty(key) == null) {
            System.setProperty(key, "error");
        }
    }
}
