defmodule Golden.AtomicRateLimit.VariableCost do
  def hit(tab, key, cost, budget) do
    spent = :ets.update_counter(tab, key, {2, cost}, {key, 0})

    if spent > budget do
      :ets.update_counter(tab, key, {2, -cost})
      {:error, {:over_budget, spent - budget}}
    else
      {:ok, spent}
    end
  end
end
