/**
 * The bridge between the sandboxed renderer and the main process.
 *
 * It will expose one function per capability of the cluster API (a later issue); for now it
 * exposes only the application version so the placeholder window can show it.
 */
import { contextBridge } from 'electron';

contextBridge.exposeInMainWorld('ringside', {
  version: '0.1.0',
});
