defmodule Golden.AtomicRateLimit.CondLimitLeft do
  def hit(tab, key, limit) do
    n = :ets.update_counter(tab, key, 1, {key, 0})

    cond do
      limit < n ->
        :ets.update_counter(tab, key, -1)
        {:error, :rate_limited}

      true ->
        {:ok, n}
    end
  end
end
