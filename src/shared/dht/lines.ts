/**
 * Every console line a DHT peer prints, word for word as the classroom specification has them
 * (`docs/classroom.md`), in one place. Lines marked "beyond the spec" cover what the
 * spec leaves unsaid (a refused file name, a broken ring, finger hops); the spec's own lines are
 * never reworded.
 */
export const lines = {
  // Pinging successors
  pingRequestsSent: (first: number, second: number): string => `Ping requests sent to Peers ${first} and ${second}`,
  /** Beyond the spec: a ring of two, where a peer's second successor is itself. */
  pingRequestSent: (peer: number): string => `Ping request sent to Peer ${peer}`,
  pingRequestReceived: (peer: number): string => `Ping request message received from Peer ${peer}`,
  pingResponseReceived: (peer: number): string => `Ping response received from Peer ${peer}`,

  // Joining
  joinForwarded: (joiner: number): string => `Peer ${joiner} Join request forwarded to my successor`,
  joinReceived: (joiner: number): string => `Peer ${joiner} Join request received`,
  successorChangeReceived: (): string => 'Successor Change request received',
  joinAccepted: (): string => 'Join request has been accepted',
  firstSuccessor: (peer: number): string => `My first successor is Peer ${peer}`,
  secondSuccessor: (peer: number): string => `My second successor is Peer ${peer}`,
  newFirstSuccessor: (peer: number): string => `My new first successor is Peer ${peer}`,
  newSecondSuccessor: (peer: number): string => `My new second successor is Peer ${peer}`,
  /** Beyond the spec. */
  joinUnanswered: (known: number, attempts: number): string => `Join request to Peer ${known} had no answer after ${attempts} attempts; giving up`,

  // Departures
  willDepart: (peer: number): string => `Peer ${peer} will depart from the network`,
  noLongerAlive: (peer: number): string => `Peer ${peer} is no longer alive`,

  // Storing
  storeForwarded: (file: string): string => `Store ${file} request forwarded to my successor`,
  /** Beyond the spec: a finger hop (finger tables on). */
  storeForwardedTo: (file: string, peer: number): string => `Store ${file} request forwarded to Peer ${peer}`,
  storeAccepted: (file: string): string => `Store ${file} request accepted`,

  // Retrieving
  requestSent: (file: string): string => `File request for ${file} has been sent to my successor`,
  /** Beyond the spec: a finger hop (finger tables on). */
  requestSentTo: (file: string, peer: number): string => `File request for ${file} has been sent to Peer ${peer}`,
  requestNotHere: (file: string): string => `Request for File ${file} has been received, but the file is not stored here`,
  storedHere: (file: string): string => `File ${file} is stored here`,
  sendingFile: (file: string, requester: number): string => `Sending file ${file} to Peer ${requester}`,
  fileSent: (): string => 'The file has been sent',
  hadFile: (holder: number, file: string): string => `Peer ${holder} had File ${file}`,
  receivingFile: (file: string, holder: number): string => `Receiving File ${file} from Peer ${holder}`,
  fileReceived: (file: string): string => `File ${file} received`,

  // Beyond the spec: a real peer's file that cannot be delivered
  fileNotInFolder: (file: string, requester: number): string =>
    `File ${file} is not in my folder (no file named ${file} or ${file}.*): nothing was sent to Peer ${requester}`,
  fileMissingAt: (holder: number, file: string): string => `Peer ${holder} had File ${file}, but not in its folder: nothing was received`,
  sendFailed: (file: string, requester: number, detail: string): string => `Sending file ${file} to Peer ${requester} failed: ${detail}`,
  receiveFailed: (file: string, holder: number, detail: string): string => `Receiving File ${file} from Peer ${holder} failed: ${detail}`,

  // Beyond the spec: typed lines that cannot be carried out
  invalidFileName: (text: string): string => `"${text}" is not a valid file name: a file name is exactly four digits, 0000 to 9999 (nothing was sent)`,
  notInRing: (command: string): string => `Not part of the ring yet: ${command} was not sent`,
  unknownCommand: (line: string): string => `Unknown command "${line}": type Store NNNN, Request NNNN or Quit`,
  lookupDropped: (what: string, hops: number): string => `${what} dropped after ${hops} hops: the ring is broken`,
} as const;
