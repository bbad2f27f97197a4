"""Messages of running the installation: migrations, backups, the cluster, hardening refusals
(merged into the catalogues)."""

ZH: dict[str, str] = {
    "db.downgrade_with_data": (
        "数据库中有 {entries} 条审计记录及其证明的证据，降级会删除新版本的表和其中的数据。"
        "请改为恢复升级前的备份（selfservice restore）；如确为测试库，可加 --discard-data 强制降级。"
    ),
}

EN: dict[str, str] = {
    "db.downgrade_with_data": (
        "The database holds {entries} audit entries and the evidence they prove; a downgrade would delete "
        "the newer tables and their data. Restore the backup taken before the upgrade instead (selfservice "
        "restore); for a throwaway database, pass --discard-data to downgrade anyway."
    ),
}
