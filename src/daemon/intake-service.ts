import { InboxWatcher, type InboxFolder } from '../intake/inbox-watcher.js';
import { queueIntakeResult } from '../usecases/deliver/deliveries.js';
import { importFile, type IntakeOutcome } from '../usecases/intake/import-file.js';
import type { IntakeKind } from '../store/intake-file.repository.js';
import type { Ports } from '../usecases/ports.js';
import { isTakenElsewhere } from '../usecases/replica.js';

/**
 * The folder inbox of every folder-intake tenant (and the bank's result folder), watched and
 * rescanned; each complete file goes through `importFile` one at a time.
 */
export interface IntakeServiceOptions {
  /** extra folders, e.g. the bank's inbox for the file gateway */
  extraFolders?: (InboxFolder & { kind?: IntakeKind })[];
  onOutcome?: (o: IntakeOutcome) => void;
  /** a file kind handled elsewhere (bank results) */
  takeOverride?: (folder: InboxFolder, path: string, name: string) => Promise<boolean>;
}

export class IntakeService {
  private watcher: InboxWatcher;

  constructor(
    private readonly ports: Ports,
    opts: IntakeServiceOptions = {},
  ) {
    const folders: InboxFolder[] = Object.entries(ports.config.tenants)
      .filter(([, t]) => t.intake === 'folder')
      .map(([id]) => ({ tenant: id, dir: ports.paths.inbox(id) }));
    folders.push(...(opts.extraFolders ?? []));
    const log = ports.log.child({ component: 'intake' });
    this.watcher = new InboxWatcher({
      folders,
      settleMs: ports.config.intake.settle_seconds * 1000,
      rescanMs: ports.config.schedules.inbox_rescan_seconds * 1000,
      doneMarkers: ports.config.intake.done_markers,
      take: async (folder, path, name) => {
        if (opts.takeOverride && (await opts.takeOverride(folder, path, name))) return;
        let out: IntakeOutcome;
        try {
          out = await importFile(ports, { tenantId: folder.tenant, path, name, mode: 'move', source: folder.tenant === 'bank' ? undefined : 'inbox' });
        } catch (err) {
          // replicas share the inbox: the file is another one's (it finishes it, moves it), not a fault
          if (!isTakenElsewhere(err)) throw err;
          log.debug({ tenant: folder.tenant, file: name, reason: err.message }, 'file left to another replica');
          return;
        }
        log.info(
          { tenant: out.tenant, file: out.file, status: out.status, imported: out.imported, failed: out.failed, movedTo: out.movedTo },
          `intake ${out.status}: ${out.file}`,
        );
        // an SFTP tenant's file taken from the folder: its result goes back over SFTP too (else nothing)
        await queueIntakeResult(ports, out).catch((err: unknown) =>
          log.error({ err, tenant: out.tenant, file: out.file }, 'could not queue the intake result for SFTP delivery'),
        );
        opts.onOutcome?.(out);
      },
      onError: (err, folder) => log.error({ err, tenant: folder?.tenant }, 'intake error; the file stays in the inbox and is retried on the next scan'),
    });
  }

  start(): void {
    this.watcher.start();
  }

  scanNow(): Promise<void> {
    return this.watcher.scan();
  }

  stop(): Promise<void> {
    return this.watcher.stop();
  }
}
