CREATE TABLE `surge_changes` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`surge` integer NOT NULL,
	`mode` text NOT NULL,
	`cause` text NOT NULL,
	`metric` text,
	`value` real,
	`threshold` real,
	`reason` text NOT NULL
);
