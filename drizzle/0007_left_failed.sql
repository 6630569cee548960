ALTER TABLE `deployments` ADD `left_failed` integer DEFAULT false NOT NULL;--> statement-breakpoint
-- Failed deploys recorded before the column: the note was how healing told them apart.
UPDATE `deployments` SET `left_failed` = 1 WHERE `status` = 'failed' AND `note` = 'left as it failed: rollback_on_failure is off';
