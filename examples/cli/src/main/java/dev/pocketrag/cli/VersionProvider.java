package dev.pocketrag.cli;

import picocli.CommandLine.IVersionProvider;

final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Main.class.getPackage().getImplementationVersion();
        return new String[] {"pocketrag " + (v == null ? "dev" : v)
                + " (Java " + Runtime.version() + ", " + System.getProperty("os.arch") + ")"};
    }
}
