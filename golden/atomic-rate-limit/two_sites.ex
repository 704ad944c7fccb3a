defmodule Golden.AtomicRateLimit.TwoSites do
  @limit 100

  def hit(tab, key) do
    n = :ets.update_counter(tab, {:hit, key}, {2, 1}, {{:hit, key}, 0})

    if n > @limit do
      :ets.update_counter(tab, {:hit, key}, {2, -1})
      {:error, n}
    else
      {:ok, n}
    end
  end

  def login(tab, key) do
    n = :ets.update_counter(tab, {:login, key}, {2, 1}, {{:login, key}, 0})

    if n > 5 do
      :ets.update_counter(tab, {:login, key}, {2, -1})
      {:error, n}
    else
      {:ok, n}
    end
  end
end
