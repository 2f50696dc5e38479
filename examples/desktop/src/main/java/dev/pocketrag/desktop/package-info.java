/**
 * The desktop note-search app (Swing + FlatLaf).
 */
package dev.pocketrag.desktop;
