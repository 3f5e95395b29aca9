# language: zh-CN
功能: 无执法主体与管辖争议（《行政处罚法》第十七条、第二十三条、第二十五条）
  行政处罚由具有行政处罚权的行政机关在法定职权范围内实施；规则集中没有负责某事项的执法主体时，
  不得推定职权，应当标记“无执法主体”，由县级人民政府明确（目录缺口，决不静默）。
  两个以上行政机关都有管辖权的，由最先立案的行政机关管辖；对管辖发生争议的，应当协商解决，
  协商不成的，报请共同的上一级行政机关指定管辖。

  背景:
    假如 规则集草稿：
      """
      ruleset "管辖县" extends "zhejiang" effective 2022-01-01
      county 戊县 "草稿戊县" coordinator "戊县人民政府"
      agency 戊县综合行政执法局 level county kind comprehensive serves 戊县 handles category comprehensive
      agency 戊县市场监管局 level county kind department serves 戊县 handles domain 市场监管
      agency 戊县市场监管执法队 level county kind specialist serves 戊县 handles domain 市场监管
      item T-NY-1 "测试事项：农业领域事项" domain 农业 basis "测试用事项"
        penalty 全部: 罚款 1000..5000
      item T-SC-1 "测试事项：市场监管领域事项" domain 市场监管 basis "测试用事项"
        penalty 全部: 罚款 1000..5000
      """
    而且 案件：
      | 字段       | 值         |
      | 县         | 戊县       |
      | 行为日期   | 2024-08-01 |
      | 决定日期   | 2024-09-01 |
      | 当事人类型 | 单位       |

  @行政处罚法第17条
  场景: 规则集没有负责该事项的执法主体的，标记无执法主体
    假如 案件中 "事项" 为 "T-NY-1"
    当 评估该案件
    那么 管辖路径为 "无执法主体"
    而且 有标记 "NO_HANDLER"
    而且 标记 "无执法主体" 的理由包含 "县级人民政府明确"
    而且 理由引用规则 "JUR-NONE、XZCF-23-GAP"

  @行政处罚法第25条
  场景: 两个机关都有管辖权的，由最先立案的管辖，争议报请指定管辖
    假如 案件中 "事项" 为 "T-SC-1"
    当 评估该案件
    那么 管辖路径为 "指定管辖"
    而且 有标记 "JURISDICTION_DISPUTE"
    而且 理由包含 "最先立案"
    而且 理由包含 "戊县人民政府"
    而且 理由引用规则 "XZCF-25-DISPUTE"

  @行政处罚法第25条
  场景: 只有一个机关有管辖权的，不标记管辖争议
    假如 案件中 "事项" 为 "ZJ-SR-18-4B"
    当 评估该案件
    那么 办案主体为 "戊县综合行政执法局"
    而且 没有标记 "管辖争议、无执法主体"
