"""Messages of running the installation: migrations, backups, the cluster, hardening refusals
(merged into the catalogues)."""

ZH: dict[str, str] = {
    "db.downgrade_with_data": (
        "数据库中有 {entries} 条审计记录及其证明的证据，降级会删除新版本的表和其中的数据。"
        "请改为恢复升级前的备份（selfservice restore）；如确为测试库，可加 --discard-data 强制降级。"
    ),
    "backup.invalid": "备份文件无效或已被改动（{member}），未恢复任何内容。",
    "backup.not_empty": "只能恢复到空的安装中：当前数据库已有数据表或已存有文件。",
    "backup.no_database_file": "该数据库不是文件，无法备份。",
    "backup.tool_missing": "找不到 {tool}（PostgreSQL 客户端工具），无法备份或恢复 PostgreSQL 数据库。",
    "nav.backups": "备份",
    "backup.title": "备份",
    "backup.last_ok": "最近一次成功备份：{time}，{size}，审计记录至第 {seq} 条。",
    "backup.never": "还没有成功的备份。",
    "backup.last_failed": "最近一次备份失败，请查看下表中的原因。",
    "backup.folder": "备份目录：{folder}（保留最近 {keep} 份）",
    "backup.next": "下一次自动备份：{time}",
    "backup.hint": "每份备份包含数据库、所有上传和生成的文件、审计检查点和加密密钥，请像保管密钥一样保管备份，并把备份目录放在另一块磁盘或另一台机器上。恢复：在一套空的安装上运行 selfservice restore 备份文件。",
    "backup.run_now": "立即备份",
    "backup.done": "备份完成。",
    "backup.failed": "备份失败：{detail}",
    "backup.recent": "最近的备份",
    "backup.col_time": "时间",
    "backup.col_trigger": "方式",
    "backup.col_result": "结果",
    "backup.col_size": "大小",
    "backup.col_files": "文件数",
    "backup.col_detail": "文件名或原因",
    "backup.trigger.scheduled": "每日自动",
    "backup.trigger.admin": "管理员手动",
    "backup.trigger.cli": "命令行",
    "backup.result_ok": "成功",
    "backup.result_failed": "失败",
}

EN: dict[str, str] = {
    "db.downgrade_with_data": (
        "The database holds {entries} audit entries and the evidence they prove; a downgrade would delete "
        "the newer tables and their data. Restore the backup taken before the upgrade instead (selfservice "
        "restore); for a throwaway database, pass --discard-data to downgrade anyway."
    ),
    "backup.invalid": "The backup is not valid or was changed ({member}); nothing was restored.",
    "backup.not_empty": "A backup restores only into an empty installation: this database already has tables or stored files.",
    "backup.no_database_file": "This database is not a file and cannot be backed up this way.",
    "backup.tool_missing": "{tool} (a PostgreSQL client tool) was not found; PostgreSQL cannot be backed up or restored.",
    "nav.backups": "Backups",
    "backup.title": "Backups",
    "backup.last_ok": "Last successful backup: {time}, {size}, audit log up to entry {seq}.",
    "backup.never": "No successful backup yet.",
    "backup.last_failed": "The last backup failed: see the reason in the table below.",
    "backup.folder": "Backup folder: {folder} (the newest {keep} are kept)",
    "backup.next": "Next automatic backup: {time}",
    "backup.hint": "Each backup holds the database, every uploaded and generated file, the audit checkpoints and the encryption key: keep backups as safe as the key, and put the backup folder on another disk or machine. To restore: run selfservice restore with the archive on an empty installation.",
    "backup.run_now": "Back up now",
    "backup.done": "Backup done.",
    "backup.failed": "The backup failed: {detail}",
    "backup.recent": "Recent backups",
    "backup.col_time": "Time",
    "backup.col_trigger": "Started by",
    "backup.col_result": "Result",
    "backup.col_size": "Size",
    "backup.col_files": "Files",
    "backup.col_detail": "File name or reason",
    "backup.trigger.scheduled": "Daily schedule",
    "backup.trigger.admin": "Administrator",
    "backup.trigger.cli": "Command line",
    "backup.result_ok": "Done",
    "backup.result_failed": "Failed",
}
