package dev.pocketrag.desktop;

import com.formdev.flatlaf.FlatDarkLaf;
import com.formdev.flatlaf.FlatLaf;
import com.formdev.flatlaf.FlatLightLaf;
import java.awt.Color;
import java.util.Locale;
import javax.swing.UIManager;

/** The two looks (FlatLaf light and dark) and the colours our HTML views use in each. Event thread only. */
final class Theme {
    private Theme() {}

    /** Installs the light or dark look and updates every open window. */
    static void apply(boolean dark) {
        if (dark) {
            FlatDarkLaf.setup();
        } else {
            FlatLightLaf.setup();
        }
        UIManager.put("TextComponent.arc", 6);
        UIManager.put("Button.arc", 8);
        UIManager.put("Component.arc", 8);
        UIManager.put("ScrollBar.showButtons", false);
        UIManager.put("Table.showHorizontalLines", true);
        FlatLaf.updateUI();
    }

    static boolean isDark() {
        return FlatLaf.isLafDark();
    }

    /** Background of a marked query term. */
    static Color markBackground() {
        return isDark() ? new Color(0x6b5a12) : new Color(0xfff0a0);
    }

    /** Background of the passage a citation or result points at, in the note editor. */
    static Color passageBackground() {
        return isDark() ? new Color(0x2f4a36) : new Color(0xdff3e4);
    }

    static Color link() {
        return isDark() ? new Color(0x79aefc) : new Color(0x1f5fbf);
    }

    /** Secondary text: tags, dates, notes under an answer. */
    static Color muted() {
        return isDark() ? new Color(0x9aa0a6) : new Color(0x6b7076);
    }

    static Color errorBackground() {
        return isDark() ? new Color(0x5c2b2b) : new Color(0xfde2e1);
    }

    static Color warningBackground() {
        return isDark() ? new Color(0x574a1c) : new Color(0xfff4d0);
    }

    /** {@code #rrggbb} for HTML. */
    static String hex(Color c) {
        return String.format(Locale.ROOT, "#%02x%02x%02x", c.getRed(), c.getGreen(), c.getBlue());
    }

    /** The opening tag that marks a query term in our HTML. */
    static String markOpen() {
        return "<b style='background-color:" + hex(markBackground()) + "'>";
    }

    static String markClose() {
        return "</b>";
    }
}
