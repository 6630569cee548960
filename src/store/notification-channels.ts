import {eq} from 'drizzle-orm'

import type {StoreConnection} from './connection.js'
import type {KedgeDatabase} from './database.js'
import {plainSelect} from './plain-select.js'
import {ROW_COLUMNS} from './row-columns.js'
import {notificationChannels, type NotificationChannelRow} from './schema.js'

const channelRows = plainSelect<NotificationChannelRow>(ROW_COLUMNS.notificationChannels)

/** Every channel, oldest first: a handful of rows, read for each message the notifier sends. */
export function listNotificationChannels(db: StoreConnection): NotificationChannelRow[] {
  return channelRows.all(db, 'SELECT * FROM notification_channels ORDER BY id')
}

export function insertNotificationChannel(db: KedgeDatabase, values: Omit<NotificationChannelRow, 'id'>): NotificationChannelRow {
  return db.insert(notificationChannels).values(values).returning().get()
}

export function deleteNotificationChannel(db: KedgeDatabase, id: number): boolean {
  return db.delete(notificationChannels).where(eq(notificationChannels.id, id)).run().changes > 0
}
