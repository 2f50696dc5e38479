/**
 * The note index on a SolrCloud cluster: {@link dev.pocketrag.cluster.ClusterNoteIndex}, opened by
 * {@code NoteIndex.open(URI.create("http://host:8983/solr/notes"), options)} through {@link
 * dev.pocketrag.cluster.ClusterIndexProvider} when this module is on the class path.
 */
package dev.pocketrag.cluster;
