"""Reviewer-facing labels of every report, Chinese and English, from one table.

Chinese is the default language. Each entry is ``key: (中文, English)``; :func:`labels` picks one
column. Code, identifiers and logs stay in English.
"""

from __future__ import annotations

#: The report languages, default first.
LANGS = ("zh", "en")

TABLE: dict[str, tuple[str, str]] = {
    # statuses and kinds
    "covered": ("已覆盖", "Covered"),
    "weak": ("证据不足", "Weak evidence"),
    "missing": ("缺失", "Missing"),
    "error": ("处理失败", "Failed"),
    "kind_evidence": ("工作证据", "Evidence"),
    "kind_heading": ("标题", "Heading"),
    "kind_boilerplate": ("格式文字", "Boilerplate"),
    "kind_problem": ("问题不足", "Problem"),
    "kind_plan": ("下步计划", "Plan"),
    "stage_read": ("读取", "reading"),
    "stage_classify": ("分类", "classifying"),
    "stage_plan": ("方案解析", "plan parsing"),
    "stage_coverage": ("覆盖计算", "coverage"),
    "stage_timeout": ("处理超时", "timed out"),
    "stage_memory": ("内存超限", "memory limit"),
    "stage_crash": ("处理进程异常退出", "worker crashed"),
    # sheets and sections
    "overview": ("总览", "Overview"),
    "missing_list": ("缺失清单", "Gaps"),
    "evidence": ("证据", "Evidence"),
    "by_requirement": ("按要求统计", "By requirement"),
    "by_area": ("按任务领域统计", "By area"),
    "matrix": ("支部 × 要求覆盖矩阵", "Branch × requirement matrix"),
    "failed_files": ("处理失败的文件", "Files that failed"),
    "paragraphs": ("全文段落", "Paragraphs"),
    "quotes": ("覆盖该要求的引文", "Quotes that cover it"),
    "branches_lacking": ("缺失或证据不足的支部", "Branches that miss it or have weak evidence"),
    "requirements_of_branch": ("各项要求", "Requirements"),
    # column heads
    "branch": ("支部", "Branch"),
    "unit": ("单位", "Unit"),
    "file": ("文件", "File"),
    "doc_id": ("编号", "ID"),
    "requirement": ("要求", "Requirement"),
    "requirements": ("要求数", "Requirements"),
    "requirement_title": ("要求内容", "Requirement title"),
    "area": ("任务领域", "Area"),
    "status": ("状态", "Status"),
    "score": ("得分", "Score"),
    "best_score": ("最高得分", "Best score"),
    "page": ("页", "Page"),
    "paragraph": ("段落", "Paragraph"),
    "quote": ("引文", "Quote"),
    "terms": ("关键词", "Terms"),
    "percent": ("覆盖率", "Coverage"),
    "missing_ids": ("缺失", "Missing"),
    "missing_req_ids": ("缺失要求", "Missing requirements"),
    "t_reqs": ("要求数", "Reqs"),
    "t_covered": ("已覆盖", "Covered"),
    "t_weak": ("证据不足", "Weak"),
    "t_miss": ("缺失数", "Miss"),
    "t_cover": ("覆盖率", "Cover"),
    "kind": ("段落类型", "Kind"),
    "stage": ("环节", "Stage"),
    "reason": ("原因", "Reason"),
    "total": ("合计", "Total"),
    "branches_missing": ("缺失支部数", "Branches missing"),
    "branches_weak": ("证据不足支部数", "Branches weak"),
    "branches_covered": ("已覆盖支部数", "Branches covered"),
    "evidence_paragraphs": ("证据段落", "Evidence paragraphs"),
    "none": ("无", "none"),
    # report text
    "report_title": ("工作总结覆盖情况报告", "Work summary coverage report"),
    "plan": ("实施方案", "Plan"),
    "generated": ("生成时间", "Generated"),
    "model": ("模型", "Model"),
    "documents": ("总结份数", "Summaries"),
    "overall": ("总体覆盖率", "Overall coverage"),
    "thresholds": ("判定阈值", "Thresholds"),
    "legend": ("图例", "Legend"),
    "only_gaps": ("只显示有缺口的行", "Only rows with gaps"),
    "only_evidence": ("只显示工作证据段落", "Only evidence paragraphs"),
    "back_to_index": ("返回总览", "Back to overview"),
    "open_branch": ("查看该支部全文", "Open this branch's page"),
    "close": ("关闭", "Close"),
    "click_cell": ("点击矩阵中的单元格查看证据。", "Click a cell of the matrix to see its evidence."),
    "no_evidence": ("没有达到阈值的证据段落。", "No evidence paragraph reaches the thresholds."),
    "no_gaps": ("所有支部均已覆盖该要求。", "Every branch covers this requirement."),
    "no_quotes": ("尚无支部覆盖该要求。", "No branch covers this requirement yet."),
    "skipped_complete": ("个支部已全部覆盖，未列出。", "branches skipped due to complete coverage."),
    "rule": ("判定规则：至少一段工作证据得分达到高阈值为“已覆盖”；最高得分只达到低阈值为“证据不足”；"
             "否则为“缺失”。覆盖率只计“已覆盖”，“证据不足”不计入。处理失败的文件不计入任何比例。",
             "Rule: a requirement is covered when at least one evidence paragraph scores at or above "
             "its high threshold; weak when the best score reaches only the low threshold; missing "
             "otherwise. Coverage counts only covered requirements (weak ones are not covered). Files "
             "that failed count in no percentage."),
    "default_thresholds": ("低阈值 {low}，高阈值 {high}", "low {low}, high {high}"),
    "varied_thresholds": ("按要求分别设定（见各要求页）", "set per requirement (see each requirement's page)"),
    "summary_sentence": (
        "共审核工作总结 {documents} 份（处理失败 {errors} 份），对照实施方案 {requirements} 项要求，"
        "已覆盖 {covered} 项次、证据不足 {weak} 项次、缺失 {missing} 项次，总体覆盖率 {percent}%。",
        "{documents} summaries checked ({errors} failed) against {requirements} requirements of the "
        "plan: {covered} covered, {weak} weak, {missing} missing; overall coverage {percent}%."),
    "section_summary": ("一、总体情况", "1. Summary"),
    "section_requirements": ("二、各项要求覆盖情况", "2. Coverage by requirement"),
    "section_gaps": ("三、各支部缺失要求", "3. Missing requirements by branch"),
    "section_failed": ("四、处理失败的文件", "4. Files that failed"),
    "appendix": ("附录：证据摘录", "Appendix: evidence"),
    "appendix_note": ("每个支部每项要求列出得分最高的至多 {n} 段引文。",
                      "Up to {n} best-scoring quotes per branch and requirement."),
    "weak_list": ("证据不足", "Weak evidence"),
    "missing_list_inline": ("缺失", "Missing"),
    "complete_branches": ("以下支部各项要求均已覆盖", "Branches with every requirement covered"),
    "failed_note": ("以下文件未能读取或分类，不计入覆盖率：", "These files could not be read or classified and count in no percentage:"),
    "page_n": ("第 {n} 页", "page {n}"),
    "para_n": ("第 {n} 段", "paragraph {n}"),
    # punctuation differs between the languages
    "colon": ("：", ": "),
    "lp": ("（", " ("),
    "rp": ("）", ")"),
    "comma": ("，", ", "),
    "enum": ("、", ", "),
    "semicolon": ("；", "; "),
    "sort_hint": ("点击表头排序", "Click a column head to sort"),
}


def labels(lang: str = "zh") -> dict[str, str]:
    """The labels of one language, by key.

    Raises:
        ValueError: ``lang`` is not one of :data:`LANGS`.
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}; got {lang!r}")
    col = LANGS.index(lang)
    return {k: v[col] for k, v in TABLE.items()}


__all__ = ["LANGS", "TABLE", "labels"]
