defmodule Golden.AtomicRateLimit.InDefimpl do
  defstruct [:tab, :key]
end

defimpl Enumerable, for: Golden.AtomicRateLimit.InDefimpl do
  # A private helper cannot be added to a protocol implementation here: reported only.
  def count(%{tab: tab, key: key}) do
    n = :ets.update_counter(tab, key, {2, 1}, {key, 0})

    if n > 100 do
      :ets.update_counter(tab, key, {2, -1})
      {:error, __MODULE__}
    else
      {:ok, n}
    end
  end

  def member?(_, _), do: {:error, __MODULE__}
  def slice(_), do: {:error, __MODULE__}
  def reduce(_, {:halt, acc}, _fun), do: {:halted, acc}
  def reduce(_, {:cont, acc}, _fun), do: {:done, acc}
  def reduce(s, {:suspend, acc}, fun), do: {:suspended, acc, &reduce(s, &1, fun)}
end
