defmodule Golden.AtomicRateLimit.ComputedLimit do
  # The limit is a function call: the fix would evaluate it once per attempt.
  def hit(tab, key) do
    n = :ets.update_counter(tab, key, {2, 1}, {key, 0})

    if n > limit_for(key) do
      :ets.update_counter(tab, key, {2, -1})
      {:error, n}
    else
      {:ok, n}
    end
  end

  defp limit_for({:premium, _}), do: 1000
  defp limit_for(_), do: 100
end
